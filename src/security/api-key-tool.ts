/**
 * `npx tsx src/security/api-key-tool.ts [id] [roles]` — prints a new API key
 * (give it to the client, once) and the config entry holding only its hash.
 * `... --hash KEY` prints the hash of an existing key.
 */
import { generateApiKey, hashApiKey } from './api-keys.js';

function main(argv: string[]): void {
  if (argv[0] === '--hash') {
    if (!argv[1]) throw new Error('usage: api-key-tool.ts --hash KEY');
    console.log(hashApiKey(argv[1]));
    return;
  }
  const id = argv[0] ?? 'client';
  const roles = (argv[1] ?? 'read').split(',');
  const key = generateApiKey();
  console.log(`API key (send as "Authorization: ApiKey <key>" or "X-API-Key: <key>"; shown once):\n  ${key}\n`);
  console.log('Config entry for security.apiKeys:');
  console.log(JSON.stringify({ id, hash: hashApiKey(key), roles }, null, 2));
}

main(process.argv.slice(2));
