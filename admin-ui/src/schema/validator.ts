// The rjsf validator: Ajv with draft 2020-12, the default draft of entity types, and formats.
import { customizeValidator } from '@rjsf/validator-ajv8';
import Ajv2020 from 'ajv/dist/2020';

export const validator = customizeValidator({ AjvClass: Ajv2020 });
