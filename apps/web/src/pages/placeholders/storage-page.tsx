// /storage: will list storage nodes and their exports; an empty state until that lands.
import { ComingSoon } from './coming-soon';

export default function StoragePage() {
  return (
    <ComingSoon
      title="Storage"
      description="Disks and shared folders on the machines you own."
      summary="Nodes and exports will appear here once a storage node joins this Homeport."
      planned={[
        'See every storage node, whether it is online and how full it is',
        'Create exports and mount them over WebDAV from Finder, Explorer or rclone',
        'Decide who can read or write each export',
      ]}
    />
  );
}
