// autocannon ships no type declarations: the part src/load.ts uses.
declare module 'autocannon' {
  interface AutocannonResult {
    requests: { average: number; total: number };
    latency: { p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  function autocannon(options: {
    url: string;
    method?: string;
    headers?: Record<string, string> | undefined;
    body?: string | undefined;
    connections?: number;
    duration?: number;
  }): Promise<AutocannonResult>;
  export default autocannon;
}
