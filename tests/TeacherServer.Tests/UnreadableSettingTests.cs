using System.Diagnostics;

namespace Distill.TeacherServer.Tests;

/// <summary>A setting that does not parse as its type stops the server process with one line on stderr and exit code 1.</summary>
public sealed class UnreadableSettingTests
{
    [Theory]
    [InlineData("--inline-io", "maybe", "TeacherServer:InlineIo")]
    [InlineData("--max-k", "many", "TeacherServer:MaxK")]
    public async Task The_server_exits_with_one_line_naming_the_setting(string option, string value, string setting)
    {
        var models = Directory.CreateTempSubdirectory("distill-unreadable-");
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { typeof(Program).Assembly.Location, "--models", models.FullName, "--urls", "http://127.0.0.1:0", option, value })
            {
                start.ArgumentList.Add(argument);
            }
            using var server = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stderr = server.StandardError.ReadToEndAsync(timeout.Token);
            await server.StandardOutput.ReadToEndAsync(timeout.Token);
            await server.WaitForExitAsync(timeout.Token);

            Assert.Equal(1, server.ExitCode);
            var line = Assert.Single((await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line);
            Assert.Contains($"'{value}' at '{setting}'", line);
        }
        finally
        {
            models.Delete(recursive: true);
        }
    }
}
