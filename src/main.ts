/**
 * Entry point: load and validate config, listen, and shut down gracefully.
 * On SIGTERM/SIGINT the server stops accepting, in-flight requests get up to
 * server.shutdownTimeoutMs to finish, then upstream sockets close.
 */
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { ConfigError, loadConfig } from './config/load.js';
import { createGateway, type Gateway } from './app.js';
import { createListener, securityStartupProblems } from './security/index.js';

function closeServer(server: Server | HttpsServer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    // Keep-alive sockets become idle as their last response ends: close them as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
    timer.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function installShutdown(server: Server | HttpsServer, gateway: Gateway): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down');
    gateway.lifecycle.draining = true;
    await closeServer(server, gateway.config.server.shutdownTimeoutMs);
    await gateway.close();
    gateway.logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  // Without authentication only loopback is served, unless security.allowAnonymous says otherwise.
  const security = securityStartupProblems(config);
  if (security.errors.length > 0) {
    for (const error of security.errors) console.error(error);
    process.exit(2);
  }
  for (const warning of security.warnings) console.error(`\n*** SECURITY WARNING: ${warning}\n`);
  const gateway = createGateway(config);
  const listener = createListener(config.security, gateway.app.callback(), gateway.logger);
  const server = listener.server;
  process.on('SIGHUP', () => listener.reload()); // re-read the TLS certificate and key
  server.keepAliveTimeout = 65_000;
  server.listen(config.server.port, config.server.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
    gateway.logger.info({ url: `${listener.protocol}://${config.server.host}:${port}${config.server.basePath}`, upstream: config.upstream.name }, 'gateway listening');
  });
  installShutdown(server, gateway);
}

void main();
