// /deploys: will list projects and their deploys; an empty state until that lands.
import { ComingSoon } from './coming-soon';

export default function DeploysPage() {
  return (
    <ComingSoon
      title="Deploys"
      description="Containers and sites you run on your own machines."
      summary="Projects and their deploys will appear here once you connect one."
      planned={[
        'Build and run a project from a Git repository or an image',
        'Follow each deploy stage by stage, with its logs',
        'Switch traffic to a new release and roll back to the previous one',
      ]}
    />
  );
}
