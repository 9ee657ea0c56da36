// Gateway SSE fan-out: not measured until the gateway (`/api/v1/bus/gateway`) is in the build.

import type { BenchmarkContext, Figure } from '../lib/types.js';
import type { BusSetup } from './setup.js';

export async function measureFanout(context: BenchmarkContext, _setup: BusSetup): Promise<Figure[]> {
  context.log('gateway SSE fan-out: not measured, the gateway is not present');
  return [
    {
      label: 'gateway SSE fan-out p99 (1,000 clients)',
      value: Number.NaN,
      unit: 'ms',
      detail: 'not measured: gateway not present (goal p99 < 200 ms)',
    },
  ];
}
