using Distill.Shared.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace Distill.TeacherServer.Onnx;

/// <summary>
/// One long-lived ORT session over a teacher graph with the top-k tail appended. Feeds the inputs the
/// model declares (recognised by name) for a right-padded batch of rows and returns the appended outputs.
/// </summary>
public sealed class TeacherSession : IDisposable
{
    private const string PastPrefix = "past_key_values.";

    private readonly InferenceSession session;
    private readonly string[] inputNames;
    private readonly TensorElementType idsType;
    private readonly string? attentionMask;
    private readonly string? positionIds;
    private readonly string? useCacheBranch;
    private readonly (string Name, TensorElementType Type, long Heads, long HeadDim)[] pasts;
    private readonly string[] keyValueOutputs;

    private TeacherSession(InferenceSession session, string[] inputNames, TensorElementType idsType, string? attentionMask,
        string? positionIds, string? useCacheBranch, (string, TensorElementType, long, long)[] pasts, bool newKeyValues, TopKPlacement placement)
    {
        Placement = placement;
        var outputs = session.OutputMetadata;
        var prefix = newKeyValues ? SplitPastGraph.NewPrefix : TopKGraphAugmenter.PresentPrefix;
        keyValueOutputs = pasts.Select(p => prefix + p.Item1[PastPrefix.Length..]).ToArray();
        OutputsNewKeyValuesOnly = newKeyValues;
        SupportsCache = pasts.Length > 0 && attentionMask is not null && keyValueOutputs.All(outputs.ContainsKey);
        this.session = session;
        this.inputNames = inputNames;
        this.idsType = idsType;
        this.attentionMask = attentionMask;
        this.positionIds = positionIds;
        this.useCacheBranch = useCacheBranch;
        this.pasts = pasts;
    }

    /// <summary>
    /// True when every <c>past_key_values.*</c> input has its keys-and-values output, so cached keys and values can
    /// be fed back instead of rerunning a prefix.
    /// </summary>
    public bool SupportsCache { get; }

    /// <summary>Where a run's top-k is selected: outside the graph from every position's log-probs, or by the graph.</summary>
    public TopKPlacement Placement { get; }

    /// <summary>
    /// True when the graph was rewritten by <see cref="SplitPastGraph"/>: a run outputs the new positions' keys and values
    /// only; otherwise it outputs present.*, the past followed by the new positions.
    /// </summary>
    public bool OutputsNewKeyValuesOnly { get; }

    /// <summary>Appends the top-k tail to <paramref name="model"/> and opens a session on it.</summary>
    /// <exception cref="IncompatibleModelException">The graph cannot be served.</exception>
    /// <param name="vocabLimit">Serve only the first that many logits (teacher.json's vocab_size); null serves them all.</param>
    /// <param name="splitPast">Rewrite the attention of cached steps to read the past in place where the graph allows it (<see cref="SplitPastGraph"/>).</param>
    /// <param name="placement">Where the top-k is selected (<see cref="TopKGraphAugmenter"/>).</param>
    public static TeacherSession Open(ModelProto model, string logitsName, SessionOptions options, int? keyValueHeads, int? headDim, int? vocabLimit = null,
        bool splitPast = true, TopKPlacement placement = TopKPlacement.Host)
    {
        var newKeyValues = splitPast && SplitPastGraph.Apply(model) is not null;
        TopKGraphAugmenter.Append(model, logitsName, vocabLimit, placement);
        GeluDivisionForm.Apply(model);
        InferenceSession session;
        try
        {
            session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new IncompatibleModelException($"ONNX Runtime cannot load the model: {e.Message}", e);
        }
        try
        {
            return Plan(session, keyValueHeads, headDim, newKeyValues, placement);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static TeacherSession Plan(InferenceSession session, int? keyValueHeads, int? headDim, bool newKeyValues, TopKPlacement placement)
    {
        var inputs = session.InputMetadata;
        if (!inputs.TryGetValue("input_ids", out var ids))
        {
            throw new IncompatibleModelException($"The model has no 'input_ids' input (inputs: {string.Join(", ", inputs.Keys)}).");
        }
        if (ids.ElementDataType is not (TensorElementType.Int64 or TensorElementType.Int32))
        {
            throw new IncompatibleModelException($"'input_ids' is {ids.ElementDataType}; int64 or int32 expected.");
        }
        var pasts = new List<(string, TensorElementType, long, long)>();
        string? attentionMask = null, positionIds = null, useCacheBranch = null;
        foreach (var (name, meta) in inputs)
        {
            switch (name)
            {
                case "input_ids" or TopKGraphNames.Temperature or TopKGraphNames.NextIds or TopKGraphNames.LastIndex or TopKGraphNames.K:
                    break;
                case "attention_mask":
                    RequireIdsType(name, meta, ids.ElementDataType);
                    attentionMask = name;
                    break;
                case "position_ids":
                    RequireIdsType(name, meta, ids.ElementDataType);
                    positionIds = name;
                    break;
                case "use_cache_branch":
                    useCacheBranch = name;
                    break;
                case var past when past.StartsWith(PastPrefix, StringComparison.Ordinal):
                    if (meta.Dimensions.Length != 4)
                    {
                        throw new IncompatibleModelException($"'{name}' has rank {meta.Dimensions.Length}; [batch, heads, past, head_dim] expected.");
                    }
                    var heads = meta.Dimensions[1] > 0 ? meta.Dimensions[1] : keyValueHeads
                        ?? throw new IncompatibleModelException($"The head count of '{name}' is unknown: put num_key_value_heads in teacher.json.");
                    var width = meta.Dimensions[3] > 0 ? meta.Dimensions[3] : headDim
                        ?? throw new IncompatibleModelException($"The head width of '{name}' is unknown: put head_dim in teacher.json.");
                    pasts.Add((name, meta.ElementDataType, heads, width));
                    break;
                default:
                    throw new IncompatibleModelException($"The model needs an input this server cannot feed: '{name}'.");
            }
        }
        return new TeacherSession(session, [.. inputs.Keys], ids.ElementDataType, attentionMask, positionIds, useCacheBranch, [.. pasts], newKeyValues, placement);
    }

    private static void RequireIdsType(string name, NodeMetadata meta, TensorElementType idsType)
    {
        if (meta.ElementDataType != idsType)
        {
            throw new IncompatibleModelException($"'{name}' is {meta.ElementDataType} but 'input_ids' is {idsType}.");
        }
    }

    /// <summary>Runs a right-padded batch of whole rows. Dispose the result to free ORT's output buffers.</summary>
    /// <param name="rows">Token ids of each row, each non-empty.</param>
    /// <param name="temperatures">τ of each row.</param>
    /// <param name="wantLastLogits">Also fetch the [B,V] logits at each row's last position.</param>
    /// <param name="k">The largest k any row asks for: what a graph that selects the top-k itself selects (ignored otherwise).</param>
    public TeacherBatchOutput Run(IReadOnlyList<int[]> rows, ReadOnlySpan<float> temperatures, bool wantLastLogits, int k) =>
        Run(rows.Select(r => new RowFeed(r, 0)).ToArray(), PastFeed.None, temperatures, wantLastLogits, wantKeyValues: false, k);

    /// <summary>
    /// Runs the positions of each row after its past: row b feeds tokens [PastLength, Length) as new positions
    /// (right-padded to the longest), attending to the slots of <paramref name="past"/> its mask marks. With
    /// <paramref name="wantKeyValues"/> the output holds the new positions' keys and values (<see cref="TeacherBatchOutput.KeyValues"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">A row has a past but the model has no KV-cache inputs.</exception>
    /// <exception cref="ArgumentOutOfRangeException">k is below 1 where the graph selects the top-k.</exception>
    public TeacherBatchOutput Run(IReadOnlyList<RowFeed> rows, PastFeed past, ReadOnlySpan<float> temperatures, bool wantLastLogits, bool wantKeyValues, int k)
    {
        var batch = rows.Count;
        if (Placement == TopKPlacement.Graph)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        }
        if (past.Width > 0 && !SupportsCache)
        {
            throw new InvalidOperationException("This model has no KV-cache inputs and outputs.");
        }
        var width = rows.Max(r => r.NewLength);
        var pastWidth = past.Width;
        var tokens = new long[batch * width];
        var mask = new long[batch * (pastWidth + width)];
        var positions = new long[batch * width];
        var nextIds = new long[batch * width];
        var lastIndex = new long[batch];
        for (var b = 0; b < batch; b++)
        {
            var row = rows[b];
            var offset = b * width;
            var maskRow = b * (pastWidth + width);
            if (pastWidth > 0)
            {
                past.Mask.AsSpan(b * pastWidth, pastWidth).CopyTo(mask.AsSpan(maskRow));
            }
            for (var j = 0; j < row.NewLength; j++)
            {
                var t = row.PastLength + j;
                tokens[offset + j] = row.Tokens[t];
                mask[maskRow + pastWidth + j] = 1;
                positions[offset + j] = t;
                nextIds[offset + j] = t + 1 < row.Tokens.Length ? row.Tokens[t + 1] : 0;
            }
            lastIndex[b] = offset + row.NewLength - 1;
        }

        long[] matrix = [batch, width];
        var owned = new List<OrtValue>(inputNames.Length);
        try
        {
            var names = new List<string>(inputNames.Length);
            var values = new List<OrtValue>(inputNames.Length);
            void Add(string name, OrtValue value, bool own = true)
            {
                names.Add(name);
                values.Add(value);
                if (own)
                {
                    owned.Add(value);
                }
            }
            Add("input_ids", Ids(tokens, matrix));
            if (attentionMask is not null)
            {
                Add(attentionMask, Ids(mask, [batch, pastWidth + width]));
            }
            if (positionIds is not null)
            {
                Add(positionIds, Ids(positions, matrix));
            }
            if (useCacheBranch is not null)
            {
                Add(useCacheBranch, OrtValue.CreateTensorValueFromMemory(new[] { pastWidth > 0 }, [1]));
            }
            for (var i = 0; i < pasts.Length; i++)
            {
                var (name, type, heads, headDim) = pasts[i];
                if (pastWidth == 0)
                {
                    Add(name, OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, [batch, heads, 0, headDim]));
                }
                else
                {
                    Add(name, past.Values![i], own: false);
                }
            }
            Add(TopKGraphNames.Temperature, OrtValue.CreateTensorValueFromMemory(temperatures.ToArray(), [batch, 1, 1]));
            Add(TopKGraphNames.NextIds, OrtValue.CreateTensorValueFromMemory(nextIds, matrix));
            Add(TopKGraphNames.LastIndex, OrtValue.CreateTensorValueFromMemory(lastIndex, [batch]));
            string[] topK = [TopKGraphNames.Logprobs];
            if (Placement == TopKPlacement.Graph)
            {
                Add(TopKGraphNames.K, OrtValue.CreateTensorValueFromMemory(new long[] { k }, [1]));
                topK = [TopKGraphNames.TopKLogprobs, TopKGraphNames.TopKIds];
            }

            string[] outputs = [.. topK, TopKGraphNames.NextLogprob, .. wantLastLogits ? [TopKGraphNames.LastLogits] : Array.Empty<string>(), .. wantKeyValues ? keyValueOutputs : []];
            using var runOptions = new RunOptions();
            var results = session.Run(runOptions, names, values, outputs);
            return new TeacherBatchOutput(results, width, Placement == TopKPlacement.Graph ? k : 0, wantLastLogits, wantKeyValues ? keyValueOutputs.Length : 0, OutputsNewKeyValuesOnly ? 0 : pastWidth);
        }
        finally
        {
            foreach (var value in owned)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>The past_key_values inputs in order: (heads, head width) of each, for assembling a past.</summary>
    public IReadOnlyList<(int Heads, int HeadDim)> PastShapes => pasts.Select(p => ((int)p.Heads, (int)p.HeadDim)).ToArray();

    /// <summary>True when the model has a KV cache in float32, which the prefix cache can copy between batches.</summary>
    public bool SupportsPrefixCache => SupportsCache && pasts.All(p => p.Type == TensorElementType.Float);

    private OrtValue Ids(long[] values, long[] shape) => idsType == TensorElementType.Int64
        ? OrtValue.CreateTensorValueFromMemory(values, shape)
        : OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(values, v => (int)v), shape);

    public void Dispose() => session.Dispose();
}
