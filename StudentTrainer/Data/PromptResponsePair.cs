namespace Distill.StudentTrainer.Data;

/// <summary>One task: a prompt and the response the student should learn to give, as text.</summary>
public sealed record PromptResponsePair(string Prompt, string Response);
