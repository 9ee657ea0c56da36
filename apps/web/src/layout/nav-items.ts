// The sections of the app shown in the navbar, in order.

// No per-link descriptions: they would become part of each link's accessible name ("Storage Nodes and…"),
// and people and tests find links by their plain name.
export interface NavItem {
  label: string;
  path: string;
  /** Shown only when this server runs the bus (the section needs it). */
  needsBus?: boolean;
  /** Shown to admins only (members cannot use any of the section). */
  adminOnly?: boolean;
}

export const navItems: readonly NavItem[] = [
  { label: 'Storage', path: '/storage' },
  { label: 'Share links', path: '/shares' },
  { label: 'Rooms', path: '/rooms', needsBus: true },
  { label: 'Deploys', path: '/deploys', adminOnly: true },
  { label: 'Settings', path: '/settings' },
];
