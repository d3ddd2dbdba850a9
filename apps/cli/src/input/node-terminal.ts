import { createInterface } from 'node:readline';
import { Terminal } from './secrets';

/** The real process's stdin/stderr; prompts go to stderr so stdout stays clean for --json. */
export function nodeTerminal(): Terminal {
  return {
    interactive: Boolean(process.stdin.isTTY),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    prompt: (question, hidden) => (hidden ? promptHidden(question) : promptVisible(question)),
  };
}

function promptVisible(question: string): Promise<string> {
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) =>
    readline.question(question, (answer) => {
      readline.close();
      resolve(answer);
    }),
  );
}

/** Raw mode, nothing echoed; Enter ends, Backspace deletes, Ctrl-C aborts. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve) => {
    let answer = '';
    const finish = () => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer) => {
      for (const character of chunk.toString('utf8')) {
        if (character === '\r' || character === '\n' || character === '\u0004') {
          finish();
          resolve(answer);
          return;
        }
        if (character === '\u0003') {
          finish();
          process.exit(130);
        }
        if (character === '\u007f' || character === '\b') answer = answer.slice(0, -1);
        else answer += character;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}
