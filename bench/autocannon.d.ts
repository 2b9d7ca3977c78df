/** The part of autocannon 8's API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  interface AutocannonClient {
    setHeaders(headers: Record<string, string>): void;
  }
  interface Histogram {
    readonly average: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  }
  interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    tlsOptions?: { cert?: string; key?: string; ca?: string };
    setupClient?: (client: AutocannonClient) => void;
    verifyBody?: (body: string) => boolean;
    timeout?: number;
  }
  interface AutocannonResult {
    readonly duration: number;
    readonly latency: Histogram;
    readonly requests: Histogram & { readonly total: number; readonly sent: number };
    readonly errors: number;
    readonly timeouts: number;
    readonly mismatches: number;
    readonly non2xx: number;
    readonly '2xx': number;
    readonly statusCodeStats: Record<string, { count: number }>;
  }
  function autocannon(options: AutocannonOptions): Promise<AutocannonResult>;
  export default autocannon;
}
