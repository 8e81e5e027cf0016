/**
 * Logging for the foreground `navarch server`: pino JSON, or a compact readable line per record
 * when stdout is a terminal (no extra dependency).
 */
import { type Logger, pino } from 'pino';

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

function pretty(line: string): string {
  try {
    const {
      level,
      time,
      msg,
      pid: _pid,
      hostname: _host,
      component,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>;
    const t = new Date(Number(time)).toISOString().slice(11, 23);
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${t} ${levelNames[Number(level)] ?? String(level)} [${String(component ?? '-')}] ${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`;
  } catch {
    return line;
  }
}

/** The root logger at `level`. */
export function createLogger(level: string): Logger {
  if (process.stdout.isTTY) {
    return pino(
      { level },
      {
        write(chunk: string) {
          process.stdout.write(pretty(chunk));
        },
      },
    );
  }
  return pino({ level });
}
