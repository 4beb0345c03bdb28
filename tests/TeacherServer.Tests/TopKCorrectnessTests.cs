using Distill.Shared.Wire;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>The appended graph must give what log_softmax/top-k over the plain model's full logits gives.</summary>
public sealed class TopKCorrectnessTests : IDisposable
{
    private const int Vocab = 40;
    private readonly TeacherHost host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "tiny"), vocab: Vocab, context: 16, seed: 11));

    public void Dispose() => host.Dispose();

    internal static void AssertMatchesReference(ReferenceTopK reference, int[] tokens, double temperature, int k,
        ReadOnlySpan<int> ids, ReadOnlySpan<float> logprobs, IReadOnlyList<float?> next, int position, double tolerance = 1e-4)
    {
        var expected = reference.LogProbs(tokens, temperature)[position];
        var order = Enumerable.Range(0, expected.Length).OrderByDescending(i => expected[i]).ToArray();
        for (var r = 0; r < k; r++)
        {
            Assert.Equal(expected[order[r]], logprobs[r], tolerance);
            // Ties aside, the ids must be the reference's; with a tie either id has the same log-prob.
            Assert.Equal(expected[order[r]], expected[ids[r]], tolerance);
        }
        if (position + 1 < tokens.Length)
        {
            Assert.Equal(expected[tokens[position + 1]], next[position]!.Value, tolerance);
        }
        else
        {
            Assert.Null(next[position]);
        }
    }

    [Theory]
    [InlineData(1.0f, 5)]
    [InlineData(0.7f, 1)]
    [InlineData(2.5f, Vocab)]
    public async Task Json_topk_equals_full_logit_computation(float temperature, int k)
    {
        await host.WaitForModelAsync("tiny");
        int[][] sequences = [[1, 5, 9, 33, 2], [7], [0, 39, 39, 12, 8, 8, 3, 1, 0, 2, 2, 2, 4, 5, 6, 7]];
        var answer = await TopKCalls.JsonAsync(host.Client, "tiny", new TopKRequest(sequences, k, temperature));

        using var reference = new ReferenceTopK(Path.Combine(host.ModelsFolder, "tiny", "model.onnx"));
        Assert.Equal(k, answer.K);
        for (var s = 0; s < sequences.Length; s++)
        {
            var sequence = answer.Sequences[s];
            Assert.Equal(sequences[s].Length, sequence.Ids.Length);
            for (var t = 0; t < sequences[s].Length; t++)
            {
                Assert.Equal(k, sequence.Ids[t].Length);
                AssertMatchesReference(reference, sequences[s], temperature, k, sequence.Ids[t], sequence.Logprobs[t], sequence.NextTokenLogprob, t);
            }
        }
    }

    [Fact]
    public async Task Binary_answer_equals_json_answer_and_float16_is_close()
    {
        var version = (await host.WaitForModelAsync("tiny"))!.Version;
        var request = new TopKRequest([[3, 1, 4, 1, 5], [9, 2, 6]], 8, 1f);
        var json = await TopKCalls.JsonAsync(host.Client, "tiny", request);
        var binary = await TopKCalls.BinaryAsync(host.Client, "tiny", request);
        var half = await TopKCalls.BinaryAsync(host.Client, "tiny", request, float16: true);

        Assert.Equal(version, binary.Version);
        Assert.Equal("tiny", binary.Model);
        for (var s = 0; s < request.Sequences.Length; s++)
        {
            for (var t = 0; t < request.Sequences[s].Length; t++)
            {
                Assert.Equal(json.Sequences[s].Ids[t], binary.Sequences[s].IdsAt(t).ToArray());
                Assert.Equal(json.Sequences[s].Logprobs[t], binary.Sequences[s].LogprobsAt(t).ToArray());
                Assert.Equal(json.Sequences[s].Ids[t], half.Sequences[s].IdsAt(t).ToArray());
                for (var r = 0; r < request.K; r++)
                {
                    Assert.Equal(json.Sequences[s].Logprobs[t][r], half.Sequences[s].LogprobsAt(t)[r], 0.01);
                }
                var next = binary.Sequences[s].NextTokenLogprobs[t];
                Assert.Equal(json.Sequences[s].NextTokenLogprob[t] ?? float.NaN, next);
            }
        }
    }
}
