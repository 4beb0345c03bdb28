using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>Requests with different k and τ share ORT runs and still get exactly their own answers.</summary>
public sealed class DynamicBatchingTests : IDisposable
{
    private readonly TeacherHost host = TeacherHost.Start(
        models => TinyOnnxModel.WriteFolder(Path.Combine(models, "mixed"), vocab: 48, context: 16, seed: 21),
        new Dictionary<string, string?> { ["TeacherServer:BatchWindowMilliseconds"] = "400" });

    public void Dispose() => host.Dispose();

    [Fact]
    public async Task Concurrent_requests_with_different_k_and_temperature_are_merged_and_each_is_exact()
    {
        await host.WaitForModelAsync("mixed");
        var runs = TeacherMetrics.BatchRows.WithLabels("mixed");
        var runsBefore = runs.Count;
        TopKRequest[] requests =
        [
            new([[1, 2, 3, 4, 5]], 1, 1f),
            new([[7, 7], [9, 10, 11, 12, 13, 14, 15]], 6, 0.5f),
            new([[40]], 48, 2f),
            new([[3, 30, 33, 3]], 3, 1.25f),
        ];
        var answers = await Task.WhenAll(requests.Select(r => TopKCalls.JsonAsync(host.Client, "mixed", r)));

        Assert.True(runs.Count - runsBefore < requests.Length, $"{runs.Count - runsBefore} ORT runs for {requests.Length} concurrent requests: nothing was merged");
        using var reference = new ReferenceTopK(Path.Combine(host.ModelsFolder, "mixed", "model.onnx"));
        for (var r = 0; r < requests.Length; r++)
        {
            Assert.Equal(requests[r].K, answers[r].K);
            for (var s = 0; s < requests[r].Sequences.Length; s++)
            {
                var sequence = requests[r].Sequences[s];
                for (var t = 0; t < sequence.Length; t++)
                {
                    Assert.Equal(requests[r].K, answers[r].Sequences[s].Ids[t].Length);
                    TopKCorrectnessTests.AssertMatchesReference(reference, sequence, requests[r].Temperature, requests[r].K,
                        answers[r].Sequences[s].Ids[t], answers[r].Sequences[s].Logprobs[t], answers[r].Sequences[s].NextTokenLogprob, t);
                }
            }
        }
    }
}
