// Types of require('sioc/client'): the `client` namespace of index.d.ts.
import { client } from './index';
export = client;
