/*
 * pmatch scan --mpi: one scan shared among the ranks of an MPI job
 * (mpirun -n N pmatch scan --mpi ...). Rank 0 walks, hands out batches of paths
 * to whichever rank asks (a work queue), checks files itself between requests,
 * and prints every record in walk order, so the output and the exit code are
 * those of a single-process scan. Every rank opens the hash list read-only.
 */
#ifndef PMATCH_SCAN_MPI_H
#define PMATCH_SCAN_MPI_H

#include "scan_config.h"

/*
 * Run the scan as one rank of the MPI job (calls MPI_Init and MPI_Finalize).
 * Returns the process exit code (rank 0: the scan's; other ranks: 0, or 2 when
 * the job could not start). Without MPI support in this build: a clear error, 2.
 */
int scan_mpi_main(const scan_config *cfg, const char *db_flag, char **roots, int nroots);

#endif
