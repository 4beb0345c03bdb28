namespace Distill.TeacherServer.Caching;

/// <summary>The first <see cref="Length"/> positions of row <see cref="Row"/> of <see cref="Block"/> are a request row's prefix.</summary>
public sealed record CachedPrefix(KvBlock Block, int Row, int Length);
