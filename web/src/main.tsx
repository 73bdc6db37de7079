import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApolloClient } from './api/apollo-client';
import { App } from './app';
import { SessionProvider } from './session/session';
import './styles.css';

const client = createApolloClient();
// Answers cached for one viewer are not another's.
const forgetAnswers = () => void client.clearStore();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element.');
createRoot(root).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <SessionProvider onChange={forgetAnswers}>
        <App />
      </SessionProvider>
    </ApolloProvider>
  </StrictMode>,
);
