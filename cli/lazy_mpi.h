/*
 * OpenMPI (libmpi.so.40, opened RTLD_GLOBAL: its components resolve symbols of it)
 * for pmatch scan --mpi. The predefined handles (MPI_COMM_WORLD, MPI_INT, ...) are
 * addresses of libmpi's objects: their slots hold those addresses.
 * Included after the library's headers: its names below call through the table that
 * cli/lazy_lib.c fills on first use (dlopen), so that `pmatch hash` and local scans
 * never load it (issue 17). Every entry point calls its pmatch_load_* first.
 */
#ifndef PMATCH_LAZY_MPI_H
#define PMATCH_LAZY_MPI_H

#include <mpi.h>

#define PM_MPI_SYMBOLS(X) \
    X(0, MPI_Abort) \
    X(0, MPI_Allreduce) \
    X(0, MPI_Comm_rank) \
    X(0, MPI_Comm_size) \
    X(0, MPI_Finalize) \
    X(0, MPI_Gather) \
    X(0, MPI_Get_count) \
    X(0, MPI_Get_processor_name) \
    X(0, MPI_Init_thread) \
    X(0, MPI_Iprobe) \
    X(0, MPI_Isend) \
    X(0, MPI_Probe) \
    X(0, MPI_Recv) \
    X(0, MPI_Send) \
    X(0, MPI_Test) \
    X(0, MPI_Wait) \
    X(0, ompi_mpi_comm_world) \
    X(0, ompi_request_null) \
    X(0, ompi_mpi_op_max) \
    X(0, ompi_mpi_byte) \
    X(0, ompi_mpi_char) \
    X(0, ompi_mpi_int)

typedef struct pm_mpi_table {
#define PM_MPI_SLOT(lib, name) __typeof__(name) *name;
    PM_MPI_SYMBOLS(PM_MPI_SLOT)
#undef PM_MPI_SLOT
} pm_mpi_table;

extern pm_mpi_table pm_mpi_fn;

#ifndef PM_MPI_NO_REMAP
#define MPI_Abort (pm_mpi_fn.MPI_Abort)
#define MPI_Allreduce (pm_mpi_fn.MPI_Allreduce)
#define MPI_Comm_rank (pm_mpi_fn.MPI_Comm_rank)
#define MPI_Comm_size (pm_mpi_fn.MPI_Comm_size)
#define MPI_Finalize (pm_mpi_fn.MPI_Finalize)
#define MPI_Gather (pm_mpi_fn.MPI_Gather)
#define MPI_Get_count (pm_mpi_fn.MPI_Get_count)
#define MPI_Get_processor_name (pm_mpi_fn.MPI_Get_processor_name)
#define MPI_Init_thread (pm_mpi_fn.MPI_Init_thread)
#define MPI_Iprobe (pm_mpi_fn.MPI_Iprobe)
#define MPI_Isend (pm_mpi_fn.MPI_Isend)
#define MPI_Probe (pm_mpi_fn.MPI_Probe)
#define MPI_Recv (pm_mpi_fn.MPI_Recv)
#define MPI_Send (pm_mpi_fn.MPI_Send)
#define MPI_Test (pm_mpi_fn.MPI_Test)
#define MPI_Wait (pm_mpi_fn.MPI_Wait)
#define ompi_mpi_comm_world (*pm_mpi_fn.ompi_mpi_comm_world)
#define ompi_request_null (*pm_mpi_fn.ompi_request_null)
#define ompi_mpi_op_max (*pm_mpi_fn.ompi_mpi_op_max)
#define ompi_mpi_byte (*pm_mpi_fn.ompi_mpi_byte)
#define ompi_mpi_char (*pm_mpi_fn.ompi_mpi_char)
#define ompi_mpi_int (*pm_mpi_fn.ompi_mpi_int)
#endif

#endif
