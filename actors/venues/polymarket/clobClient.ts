import type { BookEvent } from '../../../events/types';
import { decodeBookResponse, decodeBooksResponse } from './clobParse';
import { HttpError, type HttpClient } from './http';

/** CLOB REST reads (no auth): order books as `book` input events, levels sorted on ingest. */
export class ClobClient {
  constructor(private readonly http: HttpClient) {}

  /** `GET /book?token_id=`; event time is the venue's timestamp, else the fetch time. */
  async book(tokenId: string): Promise<BookEvent> {
    const res = await this.http.request({ method: 'GET', path: `/book?token_id=${encodeURIComponent(tokenId)}`, endpoint: '/book' });
    if (res.status === 404) throw new HttpError(res.url, 'not_found', 404, res.attempts, `no order book for token ${tokenId}`);
    return decodeBookResponse(res.body, { file: res.url }, res.fetchedAt);
  }

  /** `POST /books` with `[{"token_id":…}]`: one request for many tokens. */
  async books(tokenIds: readonly string[]): Promise<BookEvent[]> {
    if (tokenIds.length === 0) return [];
    const res = await this.http.request({ method: 'POST', path: '/books', endpoint: '/books', body: tokenIds.map((token_id) => ({ token_id })) });
    if (res.status === 404) throw new HttpError(res.url, 'not_found', 404, res.attempts, `no order books for ${tokenIds.length} tokens`);
    return decodeBooksResponse(res.body, { file: res.url }, res.fetchedAt);
  }
}
