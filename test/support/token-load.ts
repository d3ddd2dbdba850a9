import { http } from './http';

/**
 * Clients asking one URL for client-credentials tokens in a loop until stopped, each after its previous answer,
 * tallying what they see: `HTTP 200`, `HTTP <status> <start of the body>`, or a connection error's code. What a
 * rolling restart's step looks like from outside (docs/operations.md, the client retry policy).
 */
export function tokenLoad(url: string, authorization: string, clients = 8): { seen: Record<string, number>; stop: () => Promise<void> } {
  const seen: Record<string, number> = {};
  let running = true;
  const client = async () => {
    while (running) {
      try {
        const response = await http(url, {
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
        const kind = response.status === 200 ? 'HTTP 200' : `HTTP ${response.status} ${response.body.slice(0, 100)}`;
        seen[kind] = (seen[kind] ?? 0) + 1;
      } catch (error) {
        const kind = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        seen[kind] = (seen[kind] ?? 0) + 1;
        // A refused connection answers at once: don't spin.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const load = Promise.all(Array.from({ length: clients }, client));
  return {
    seen,
    stop: async () => {
      running = false;
      await load;
    },
  };
}
