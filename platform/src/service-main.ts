import { config as loadConfig, ConfigError, type Config } from './config';
import { onShutdownSignal } from './http/lifecycle';
import { createLogger, type Logger } from './logger';

/**
 * The entry point of every process: reads the configuration (a bad setting stops the process
 * with a message naming it), starts the service, and stops it gracefully on SIGTERM/SIGINT.
 */
export function runService(
  name: string,
  start: (config: Config, logger: Logger) => Promise<() => Promise<void>>,
): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger(name, config.logLevel);
  start(config, logger).then(
    (stop) => onShutdownSignal(logger, config.shutdownGraceMs, stop, config.supervised),
    (error: unknown) => {
      logger.fatal({ err: error }, `${name} failed to start`);
      process.exit(1);
    },
  );
}
