using System.Diagnostics;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary>The TeacherServer a <c>train</c> run starts for itself ends with the run, however the run ends.</summary>
public sealed class TeacherLifetimeTests(TrainCommandFixture fixture) : IClassFixture<TrainCommandFixture>
{
    [Fact]
    public async Task A_trainer_killed_with_sigkill_takes_its_auto_started_teacher_with_it()
    {
        string run = Path.Combine(fixture.Root, "runs", "killed-" + Guid.NewGuid().ToString("N")[..6]);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (string argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "Distill.StudentTrainer.dll"),
                     .. fixture.TrainArguments(run, "--steps", "1000000", "--no-baseline", "--eval-interval", "1000000", "--checkpoint-interval", "1000000")])
            start.ArgumentList.Add(argument);
        using var trainer = Process.Start(start)!;
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        trainer.OutputDataReceived += (_, line) => { if (line.Data?.StartsWith("teacher: ", StringComparison.Ordinal) == true) connected.TrySetResult(); };
        trainer.ErrorDataReceived += (_, _) => { };
        trainer.BeginOutputReadLine();
        trainer.BeginErrorReadLine();
        int server = 0;
        try
        {
            await connected.Task.WaitAsync(TimeSpan.FromSeconds(120));   // the trainer has its teacher: the server is up
            server = Assert.Single(ProcessTable.ChildrenOf(trainer.Id, "Distill.TeacherServer.dll"));

            trainer.Kill();                                                // SIGKILL: no handler of the trainer runs
            await trainer.WaitForExitAsync();
            Assert.True(await ProcessTable.WaitForEndAsync(server, TimeSpan.FromSeconds(60)), $"the TeacherServer {server} outlived its trainer");
        }
        finally
        {
            if (!trainer.HasExited) trainer.Kill(entireProcessTree: true);
            if (server != 0 && !ProcessTable.HasEnded(server)) Process.GetProcessById(server).Kill();
        }
    }
}
