// The files the nginx edge writes into the operator's include folder: one server block per host, and one
// shared file with the WebSocket `map` (a map may be defined once per http block, not once per host).

/** The shared file. `_` cannot occur in an edge host name, so no host's file can take this name. */
export const COMMON_FILE = 'homeport_common.conf';

/** `homeport-<host>.conf`; the host was checked by edgeHostName, so it is a safe file-name part. */
export const hostFile = (host: string): string => `homeport-${host}.conf`;

const HOST_FILE = /^homeport-([a-z0-9.-]+)\.conf$/;

/** The host a file in the folder belongs to, if it is one of ours. */
export function hostOfFile(name: string): string | undefined {
  return HOST_FILE.exec(name)?.[1];
}

export function commonConfig(): string {
  return `# Written by Homeport (deploy edge); replaced on every sync, do not edit.
# WebSocket: pass Upgrade on, and Connection: upgrade only when the client asked for one.
map $http_upgrade $homeport_connection_upgrade {
    default upgrade;
    ''      close;
}
`;
}

/**
 * One host's server block: everything to the built-in proxy, unbuffered both ways (SSE, uploads), with
 * the headers a WebSocket needs. X-Forwarded-For is the peer address alone: a client's own chain is not
 * passed on (the built-in proxy drops X-Forwarded-* anyway, see the README's known limits).
 */
export function hostConfig(host: string, listen: readonly string[], proxyUpstream: string): string {
  const listens = listen.map((address) => `    listen ${address};`).join('\n');
  return `# Written by Homeport (deploy edge) for ${host}; replaced on every sync, do not edit.
server {
${listens}
    server_name ${host};
    location / {
        proxy_pass http://${proxyUpstream};
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $homeport_connection_upgrade;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_buffering off;
        proxy_request_buffering off;
        # The built-in proxy enforces the body limit and the upstream timeout; long-lived streams stay open.
        client_max_body_size 0;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
    }
}
`;
}
