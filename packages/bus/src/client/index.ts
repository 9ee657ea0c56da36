// The bus SDK for Node (`@homeport/bus/client`).

export { BusClient, type BusClientEvent, type BusClientOptions, type BusSubscription } from './bus-client.js';
export { BusClientError, type ControlClient, createControlClient } from './control-client.js';
export type * from './types.js';
