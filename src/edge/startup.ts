/**
 * What the edge cache checks when the gateway starts, so that the index and the
 * folder agree after a crash or a hand-made change: half-written downloads of
 * ended processes are removed, rows whose file is gone are dropped, files the
 * index does not name are removed (unless another live gateway shares the
 * folder: it may be between placing a file and indexing it). Then the totals are
 * loaded for the byte bound.
 */
import type { Logger } from 'pino';
import type { EdgeFiles } from './files.js';
import type { EdgeRepository } from './repository.js';
import type { EdgeSpace } from './space.js';

export async function sweepAtStart(repo: EdgeRepository, files: EdgeFiles, space: EdgeSpace, log: Logger): Promise<void> {
  const others = await files.init();
  const known = new Set<string>();
  let dropped = 0;
  for (const entry of await repo.allFiles()) {
    if (await files.exists(entry.file)) {
      known.add(entry.file);
      continue;
    }
    dropped++;
    if (entry.instance) await repo.deleteInstance(entry.instance);
    else await repo.dropMetadata(entry.study);
  }
  const stray = others === 0 ? await files.removeUnknown(known) : 0;
  if (others > 0) log.warn({ dir: files.dir, others }, 'another running gateway uses this edge folder; files the index does not name are kept');
  await space.load();
  const { studies, instances, bytes } = space.totals;
  log.info({ dir: files.dir, studies, instances, bytes, droppedMissing: dropped, removedStray: stray }, 'edge cache ready');
  if (dropped > 0) log.warn({ dropped }, 'edge cache index named files that are gone; their rows were dropped');
}
