export {
  type Database,
  type DatabaseSettings,
  isDatabaseReachable,
  type MigrationSet,
  migrateToLatest,
  openDatabase,
} from './database.ts';
