import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { storedToken } from '../session/session';

/** The gateway's GraphQL endpoint on this origin, with the signed-in viewer's token on every request. */
export function createApolloClient(): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({
      uri: '/graphql',
      fetch: (input, init) => {
        const token = storedToken();
        const headers = new Headers(init?.headers);
        if (token) headers.set('authorization', `Bearer ${token}`);
        return fetch(input, { ...init, headers });
      },
    }),
    cache: new InMemoryCache(),
    // A refetch right after a change must ask anew, not join a request sent before the change.
    queryDeduplication: false,
  });
}
