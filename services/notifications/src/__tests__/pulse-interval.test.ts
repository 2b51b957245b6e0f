import { Pulse } from '@pulsecron/pulse';
import { pulseInterval } from '../pulse-interval';

// Pulse parses `processEvery` when it is constructed (no database is reached before start()).
it.each([250, 1_000, 10_000, 60_000])(
  'a Pulse scans every %d ms when given pulseInterval of it',
  (ms) => {
    const pulse = new Pulse({ processEvery: pulseInterval(ms) });
    expect(pulse._processEvery).toBe(ms);
  },
);

it('the form it replaces was read as seconds (why it exists)', () => {
  expect(new Pulse({ processEvery: '10000 milliseconds' })._processEvery).toBe(10_000_000);
});
