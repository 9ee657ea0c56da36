// The page's deploy feed, for the stage panels under it (null outside the Deploys page).
import { createContext } from 'react';
import type { DeployFeed } from './live-deploys';

export const DeployFeedContext = createContext<DeployFeed | null>(null);
