using System.Globalization;
using System.Text.RegularExpressions;

namespace Distill.Bench.Training;

/// <summary>
/// The teacher's side of the prefetch figure, from its Prometheus metrics: ORT runs, rows per run, and the time a
/// run of one step's batch takes beside the student's step time (from memory), so a reader sees which side is slower.
/// </summary>
public static partial class TeacherLoad
{
    public static async Task PrintAsync(Uri server, int tokensPerStep, double studentTokensPerSecond)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(10) };
        string text = await http.GetStringAsync("metrics");
        double runs = Sum(text, "distill_run_seconds_count"), runSeconds = Sum(text, "distill_run_seconds_sum");
        double requests = Sum(text, "distill_request_seconds_count"), requestSeconds = Sum(text, "distill_request_seconds_sum");
        double tokens = Sum(text, "distill_batch_tokens_sum");
        if (runs == 0 || tokens == 0)
        {
            Console.WriteLine("teacher: no ORT run recorded in its metrics");
            return;
        }
        double teacherSecondsPerStep = runSeconds / tokens * tokensPerStep;
        double studentSecondsPerStep = tokensPerStep / studentTokensPerSecond;
        Console.WriteLine($"teacher: {runs:N0} ORT runs of {tokens / runs:N0} tokens on average, {teacherSecondsPerStep * 1000:N0} ms of ORT time per step's batch " +
                          $"vs {studentSecondsPerStep * 1000:N0} ms per student step from memory; mean request latency {requestSeconds / Math.Max(1, requests) * 1000:N0} ms");
    }

    private static double Sum(string metrics, string name) =>
        SampleLine().Matches(metrics)
            .Where(m => m.Groups["name"].Value == name)
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{[^}]*\})? (?<value>[0-9.eE+-]+)$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
