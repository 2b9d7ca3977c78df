export {
  DIRECTORY_JWS_TYPE,
  type DirectorySigner,
  type DirectoryVerification,
  signDirectory,
  verifyDirectory,
} from './directory-jws.ts';
