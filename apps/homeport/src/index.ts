// Public surface of the app package, for tests and benchmarks that compose Homeport in-process.

export {
  ALL_SETTINGS,
  createHomeport,
  type Homeport,
  type HomeportOptions,
  KNOWN_MODULES,
} from './compose.js';
export { VERSION } from './version.js';
