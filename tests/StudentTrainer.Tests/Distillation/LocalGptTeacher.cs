using Distill.Shared.Wire;
using Distill.StudentTrainer.Generation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>
/// A teacher computed in-process by a TorchSharp GPT: top-k of log_softmax(logits / τ) over the full vocabulary (from the
/// request's start, or each sequence's own start, on), and sampled continuations, as TeacherServer answers. Counts and keeps its requests; its version can
/// be changed to test version tracking.
/// </summary>
internal sealed class LocalGptTeacher(CausalLm model, string version = "local-1") : ITeacher
{
    private readonly List<GenerateRequest> _generateRequests = [];
    private readonly List<TopKRequest> _topKRequests = [];
    private int _requests;

    public string Version { get; set; } = version;

    public int Requests => _requests;

    /// <summary>Every generate request received, in order.</summary>
    public IReadOnlyList<GenerateRequest> GenerateRequests
    {
        get { lock (_generateRequests) return _generateRequests.ToArray(); }
    }

    /// <summary>Every top-k request received, in order.</summary>
    public IReadOnlyList<TopKRequest> TopKRequests
    {
        get { lock (_topKRequests) return _topKRequests.ToArray(); }
    }

    /// <summary>End-of-sequence id that stops a generated response; null: none.</summary>
    public int? EosId { get; init; }

    /// <summary>Delay added to every answer, to stand for a teacher on another box.</summary>
    public TimeSpan Latency { get; init; }

    public ModelInfo Model => new("local", Version, model.Config.VocabSize, model.Config.ContextLength, "byte-level-bpe", "local", EosId);

    public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
    {
        Interlocked.Increment(ref _requests);
        lock (_topKRequests) _topKRequests.Add(request);
        if (request.Starts is { } given && (given.Length != request.Sequences.Length || request.Start != 0))
            throw new ArgumentException("per-sequence starts come one per sequence, with start 0");
        if (request.Sequences.Select((s, i) => request.StartOf(i) < 0 || request.StartOf(i) >= s.Length).Any(bad => bad))
            throw new ArgumentException($"every start must be below its sequence's length");
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency, ct);
        string version = Version;
        lock (model)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var sequences = new List<SequenceTopK>();
            for (int i = 0; i < request.Sequences.Length; i++)
            {
                int[] sequence = request.Sequences[i];
                int start = request.StartOf(i);
                Tensor ids = tensor(sequence.Select(id => (long)id).ToArray(), [1, sequence.Length]);
                Tensor logits = model.Forward(ids)[0, start..];                                               // (T − start, V)
                Tensor logProbs = nn.functional.log_softmax(logits / request.Temperature, -1);
                (Tensor values, Tensor indices) = logProbs.topk(request.K, -1);
                int length = sequence.Length - start;
                float[] next = new float[length];
                for (int t = 0; t < length; t++)
                    next[t] = start + t + 1 < sequence.Length ? logProbs[t, sequence[start + t + 1]].item<float>() : float.NaN;
                sequences.Add(new SequenceTopK(length, request.K,
                    indices.to_type(ScalarType.Int32).data<int>().ToArray(), values.data<float>().ToArray(), next));
            }
            return new TopKResult("local", version, request.K, sequences, request.Start, request.Starts);
        }
    }

    /// <summary>
    /// Samples each prompt alone with <see cref="ResponseSampler"/>, prompt i with seed + i, so the answer does not depend
    /// on how prompts are grouped into requests.
    /// </summary>
    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct)
    {
        Interlocked.Increment(ref _requests);
        lock (_generateRequests) _generateRequests.Add(request);
        int seed = request.Seed ?? 0;
        var options = new GenerationOptions
        {
            MaxNewTokens = request.MaxNewTokens, Temperature = request.Temperature, TopP = request.TopP,
            EosId = request.StopAtEos ? EosId : null,
        };
        lock (model)
        {
            Completion[] completions = request.Prompts.Select((prompt, i) =>
            {
                int[] tokens = ResponseSampler.Sample(model, [prompt], options with { Seed = unchecked(seed + i) })[0];
                return new Completion(tokens, tokens.Length > 0 && tokens[^1] == EosId ? "eos" : "length");
            }).ToArray();
            return Task.FromResult(new GenerateResponse("local", Version, seed, completions));
        }
    }
}
