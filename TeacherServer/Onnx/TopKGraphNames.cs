namespace Distill.TeacherServer.Onnx;

/// <summary>Inputs and outputs that <see cref="TopKGraphAugmenter"/> appends to a teacher's graph.</summary>
public static class TopKGraphNames
{
    /// <summary>float32 [B,1,1]: τ of each row.</summary>
    public const string Temperature = "distill_temperature";

    /// <summary>int64 [B,T]: the token at t+1 of each row (any valid id where there is none).</summary>
    public const string NextIds = "distill_next_ids";

    /// <summary>int64 [B]: b·T + (length_b − 1), the flat index of each row's last real position.</summary>
    public const string LastIndex = "distill_last_index";

    /// <summary>float32 [B,T,V]: log_softmax(logits/τ) at every position, from which the top-k is selected (an output for <see cref="TopKPlacement.Host"/> only).</summary>
    public const string Logprobs = "distill_logprobs";

    /// <summary>float32 [B,T,1]: log_softmax(logits/τ) of the token at t+1.</summary>
    public const string NextLogprob = "distill_next_logprob";

    /// <summary>int64 [1]: k of the run (its rows' largest), for a graph that selects the top-k itself.</summary>
    public const string K = "distill_k";

    /// <summary>float32 [B,T,k]: the k largest log-probs of every position, most probable first (<see cref="TopKPlacement.Graph"/>).</summary>
    public const string TopKLogprobs = "distill_topk_logprobs";

    /// <summary>int32 [B,T,k]: the ids of <see cref="TopKLogprobs"/>.</summary>
    public const string TopKIds = "distill_topk_ids";

    /// <summary>float32 [B,V]: raw logits at each row's last real position (for sampling).</summary>
    public const string LastLogits = "distill_last_logits";
}
