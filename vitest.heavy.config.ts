import { defineConfig } from 'vitest/config'

/** Long property runs kept out of the normal suite: `npm run test:heavy`. */
export default defineConfig({
  test: { include: ['test/property/**/*.test.ts'], testTimeout: 600_000, pool: 'forks' },
})
