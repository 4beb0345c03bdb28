using System.Globalization;
using System.Text.RegularExpressions;

namespace Distill.Bench.Training;

/// <summary>
/// The teacher's side of the prefetch figure, from its Prometheus metrics: ORT runs, rows per run, and the time a
/// run of one step's batch takes beside the student's step time (from memory), so a reader sees which side is slower,
/// and the share of the bound that the slower side sets which the live run reached.
/// </summary>
public static partial class TeacherLoad
{
    /// <param name="liveTokensPerSecond">The live run's rate after step 1, set against the most the teacher allows.</param>
    public static async Task PrintAsync(Uri server, int tokensPerStep, double studentTokensPerSecond, double liveTokensPerSecond)
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
        // Prefetch can hide the teacher's latency, not a shortfall of its throughput: no live run beats the slower side.
        double bound = Math.Min(1, studentSecondsPerStep / teacherSecondsPerStep);
        Console.WriteLine($"bound set by the teacher's core: {tokens / runSeconds:N0} tokens/s, so at most {bound:F2}x of the in-memory rate; " +
                          $"the live run reached {liveTokensPerSecond / studentTokensPerSecond / bound:P0} of that bound after step 1");
    }

    private static double Sum(string metrics, string name) =>
        SampleLine().Matches(metrics)
            .Where(m => m.Groups["name"].Value == name)
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{[^}]*\})? (?<value>[0-9.eE+-]+)$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
