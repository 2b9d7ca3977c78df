import type { LevelOfAssurance } from '../schemas/index.ts';

/**
 * Test citizens of the development federation. Identifiers are country-prefixed 11-digit
 * German tax identification numbers (IdNr) with a valid ISO 7064 MOD 11,10 check digit; they are
 * made up and belong to nobody. The eID provider logs them in; the sample registries hold their data.
 */
export interface TestCitizen {
  /** The eID `sub`: `DE` + 11-digit IdNr. */
  readonly id: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly birthDate: string;
  /** eIDAS level the citizen's eID reaches when they log in. */
  readonly loa: LevelOfAssurance;
}

export const testCitizens: readonly TestCitizen[] = [
  { id: 'DE65402138797', givenName: 'Anna', familyName: 'Huber', birthDate: '1985-03-14', loa: 'high' },
  { id: 'DE48517309264', givenName: 'Lukas', familyName: 'Huber', birthDate: '1983-11-02', loa: 'high' },
  { id: 'DE29471863055', givenName: 'Mia', familyName: 'Huber', birthDate: '2015-06-21', loa: 'substantial' },
  {
    id: 'DE81963547205',
    givenName: 'Emre',
    familyName: 'Yılmaz',
    birthDate: '1990-01-30',
    loa: 'substantial',
  },
  { id: 'DE37286105495', givenName: 'Sophie', familyName: 'Wagner', birthDate: '1972-09-08', loa: 'low' },
];

/** The citizen of the parking-permit story. */
export const storyCitizen = testCitizens[0]!;
