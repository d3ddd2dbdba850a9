import { Module } from '@nestjs/common';
import { TokenPurger } from './token-purger';
import { TokenStore } from './token-store';
import { TokenWriter } from './token-writer';

/** The token store: reads (TokenStore), the one write path with its events (TokenWriter), and the purge of long-expired rows. */
@Module({
  providers: [TokenStore, TokenWriter, TokenPurger],
  exports: [TokenStore, TokenWriter],
})
export class TokenStorageModule {}
