// /rooms: will list rooms; an empty state until that lands.
import { ComingSoon } from './coming-soon';

export default function RoomsPage() {
  return (
    <ComingSoon
      title="Rooms"
      description="Shared spaces for the people you work or live with."
      summary="Rooms you create or join will appear here, with the people in each."
    />
  );
}
