/** The prefetch job as GET /api/prefetch/{id} answers it (src/prefetch/views.ts), as the tests read it. */
export interface JobBody {
  id: string;
  status: string;
  message: string;
  counts: Record<string, number>;
  links: { self: string; events: string };
  studies: Array<{ studyInstanceUid: string; status: string; instances: number; instancesDone: number; bytes?: number; error?: string }>;
}
