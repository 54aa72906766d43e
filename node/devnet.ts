export interface DevnetOptions { dataDir?: string }
export interface Devnet { stop(): Promise<void> }
export async function startDevnet(_o: DevnetOptions): Promise<Devnet> { throw new Error('devnet: not yet written') }
