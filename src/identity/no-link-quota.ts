/**
 * How many NO_LINK reconciliation items one caller may open per hour
 * (identity.maxNoLinkItemsPerCallerPerHour). Any read-role client can search by
 * EHR identity; without a bound, a script searching arbitrary EHR ids would fill
 * the list that staff work through. Beyond the bound the search still answers
 * (no archive patient is linked, so nothing is found) and says the identity was
 * not added to the list. Searches without a known caller (background prefetch
 * jobs, which are bounded on their own) are not counted.
 */
import { LRUCache } from 'lru-cache';

const HOUR_MS = 60 * 60 * 1000;
const CALLERS_REMEMBERED = 10_000;

export class NoLinkQuota {
  /** Per caller, when its items of the last hour were opened (oldest first). */
  private readonly opened = new LRUCache<string, number[]>({ max: CALLERS_REMEMBERED, ttl: HOUR_MS });

  /** `perHour` 0: no bound. */
  constructor(private readonly perHour: number, private readonly now: () => number = Date.now) {}

  /** True (and counted) when `caller` may open one more item now. */
  take(caller: string | undefined): boolean {
    if (this.perHour === 0 || caller === undefined) return true;
    const since = this.now() - HOUR_MS;
    const times = (this.opened.get(caller) ?? []).filter((t) => t > since);
    if (times.length >= this.perHour) {
      this.opened.set(caller, times);
      return false;
    }
    times.push(this.now());
    this.opened.set(caller, times);
    return true;
  }
}
