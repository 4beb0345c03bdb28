using Distill.Shared.Wire;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>
/// A teacher computed in-process by a TorchSharp GPT: top-k of log_softmax(logits / τ) over the full vocabulary,
/// as TeacherServer answers. Counts its requests; its version can be changed to test version tracking.
/// </summary>
internal sealed class LocalGptTeacher(Gpt model, string version = "local-1") : ITeacher
{
    private int _requests;

    public string Version { get; set; } = version;

    public int Requests => _requests;

    /// <summary>Delay added to every answer, to stand for a teacher on another box.</summary>
    public TimeSpan Latency { get; init; }

    public ModelInfo Model => new("local", Version, model.Config.VocabSize, model.Config.ContextLength, "byte-level-bpe", "local", null);

    public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
    {
        Interlocked.Increment(ref _requests);
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency, ct);
        string version = Version;
        lock (model)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var sequences = new List<SequenceTopK>();
            foreach (int[] sequence in request.Sequences)
            {
                Tensor ids = tensor(sequence.Select(i => (long)i).ToArray(), [1, sequence.Length]);
                Tensor logProbs = nn.functional.log_softmax(model.Forward(ids)[0] / request.Temperature, -1);  // (T, V)
                (Tensor values, Tensor indices) = logProbs.topk(request.K, -1);
                float[] next = new float[sequence.Length];
                for (int t = 0; t < sequence.Length; t++)
                    next[t] = t + 1 < sequence.Length ? logProbs[t, sequence[t + 1]].item<float>() : float.NaN;
                sequences.Add(new SequenceTopK(sequence.Length, request.K,
                    indices.to_type(ScalarType.Int32).data<int>().ToArray(), values.data<float>().ToArray(), next));
            }
            return new TopKResult("local", version, request.K, sequences);
        }
    }

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) =>
        Task.FromResult(new GenerateResponse("local", Version, 0,
            request.Prompts.Select(p => new Completion(Enumerable.Repeat(p[^1], request.MaxNewTokens).ToArray(), "length")).ToArray()));
}
