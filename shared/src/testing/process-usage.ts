import { readFileSync } from 'node:fs';

/** CPU time and resident memory of another process, as Linux's /proc reports them. */
export interface ProcessUsage {
  /** User + system CPU time so far, ms. */
  cpuMs: number;
  /** Resident set size, KiB. */
  rssKiB: number;
}

/**
 * What process `pid` has used so far, or null when it is gone (or this is not Linux). For
 * benchmarks and load runs that watch processes they started.
 */
export function processUsage(pid: number): ProcessUsage | null {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is the
    // 14th field of the line, stime the 15th, in clock ticks (100 per second on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (!rss) return null;
    return { cpuMs: ticks * 10, rssKiB: Number(rss[1]) };
  } catch {
    return null;
  }
}
