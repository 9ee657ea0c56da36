// Public surface of @homeport/bus.

export { assertBusExposure, type BusExposure, busExposureProblems } from './control/boot-guard.js';
export { BUS, type BusApi, createBusModule } from './control/module.js';
export { BusError, type BusErrorCode } from './errors.js';
export { type BusAuthMode, busSettings } from './settings.js';
export { busMigrations, createKvBusStore, createSqliteBusStore } from './store/index.js';
export type * from './store/repositories.js';
