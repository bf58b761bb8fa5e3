import 'reflect-metadata';
import { runMain } from '@mdm/service-kit';
import { bootstrap } from './bootstrap';

runMain(() => bootstrap());
