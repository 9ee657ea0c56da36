// The version string, stamped in by the build (esbuild `define`); running from source says "-dev".

declare const __HOMEPORT_VERSION__: string | undefined;

export const VERSION: string = typeof __HOMEPORT_VERSION__ === 'string' ? __HOMEPORT_VERSION__ : '0.1.0-dev';
