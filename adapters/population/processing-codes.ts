import type { CodeTitle } from '../../schemas/index.ts';

/** The purpose for which the residents' register answers in the demo story. */
export const parkingPermit: CodeTitle = {
  code: 'parking-permit',
  title: 'Application for a resident parking permit',
};

/** The legal basis of a transfer from the residents' register to a public body. */
export const federalRegistrationAct: CodeTitle = {
  code: 'de-bmg-34',
  title: '§ 34 Federal Registration Act (transfer to public bodies)',
};
