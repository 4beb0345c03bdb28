using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Hosting;

/// <summary>
/// Stops the server when the process that started it exits, SIGKILL included, when
/// <see cref="TeacherServerOptions.ParentProcessId"/> is set (<c>--parent-pid</c>): a trainer's own teacher must not
/// outlive it. It waits on a pidfd of the parent (pidfd_open, then poll until it is readable, which is when the process
/// has exited). The pid must be this process's parent: reading getppid() again after opening the pidfd proves the pidfd
/// is of the parent and not of a later process given a reused pid, since an orphan is handed to another parent as its
/// own parent dies, before that pid can be freed. Without pidfd_open (Linux before 5.3) it checks getppid() every
/// 200 ms. PR_SET_PDEATHSIG is not used: it fires when the parent's forking thread ends, and .NET forks from pool threads.
/// </summary>
public sealed partial class ParentProcessWatcher(IOptions<TeacherServerOptions> options, IHostApplicationLifetime lifetime,
    ILogger<ParentProcessWatcher> logger) : BackgroundService
{
    private const long PidfdOpenCall = 434;           // the same number on every Linux architecture
    private const short Readable = 1;                 // POLLIN
    private const int Interrupted = 4;                // EINTR
    private static readonly TimeSpan PollingPeriod = TimeSpan.FromMilliseconds(200);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int parent = options.Value.ParentProcessId;
        if (parent == 0) return Task.CompletedTask;
        return Task.Factory.StartNew(() => Watch(parent, stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Watch(int parent, CancellationToken stop)
    {
        if (GetParentProcessId() == parent)
        {
            int pidfd = (int)PidfdOpen(PidfdOpenCall, parent, 0);
            if (pidfd < 0)
            {
                while (GetParentProcessId() == parent && !stop.WaitHandle.WaitOne(PollingPeriod)) { }
            }
            else
            {
                try
                {
                    if (GetParentProcessId() == parent) WaitUntilReadable(pidfd, stop);
                }
                finally
                {
                    Close(pidfd);
                }
            }
        }
        if (stop.IsCancellationRequested) return;
        logger.LogWarning("The parent process {Parent} has exited; stopping", parent);
        lifetime.StopApplication();
    }

    /// <summary>Returns once the pidfd is readable (the process exited) or <paramref name="stop"/> fires.</summary>
    private static void WaitUntilReadable(int pidfd, CancellationToken stop)
    {
        var watched = new PollDescriptor { Descriptor = pidfd, Events = Readable };
        while (!stop.IsCancellationRequested)
        {
            int ready = Poll(ref watched, 1, (int)PollingPeriod.TotalMilliseconds);
            if (ready > 0) return;
            if (ready < 0 && Marshal.GetLastPInvokeError() != Interrupted) return; // an unusable pidfd: better stop than outlive the parent
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentProcessId();

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long PidfdOpen(long call, int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollDescriptor descriptors, ulong count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
