export { readCachedDirectory, writeCachedDirectory } from './directory-cache.ts';
export {
  createDirectoryClient,
  type DirectoryClient,
  type DirectoryClientOptions,
  type DirectoryFetch,
  type DirectoryFreshness,
  type DirectoryResponse,
  type ExchangeSide,
} from './directory-client.ts';
export { createRegistryFetch, type RegistryFetch, type RegistryRequest } from './registry-fetch.ts';
