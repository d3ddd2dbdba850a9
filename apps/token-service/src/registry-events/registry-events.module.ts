import { Module } from '@nestjs/common';
import { RevocationModule } from '../revocation/revocation.module';
import { RegistryEventsConsumer } from './registry-events.consumer';

/** The REGISTRY stream's events that revoke tokens, applied exactly once across replicas. */
@Module({
  imports: [RevocationModule],
  providers: [RegistryEventsConsumer],
})
export class RegistryEventsModule {}
