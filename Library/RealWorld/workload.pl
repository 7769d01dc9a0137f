# An interpreter workload for libswiftmm's real-program runs (Perl allocates every SV, hash entry
# and string buffer with malloc): hashes of strings, splits and joins, regular expressions,
# sorting, string growth. Prints a digest independent of hash order.
use strict;
use warnings;

my %h;
for my $i (0 .. 199999) {
    $h{ sprintf("k%07d-%s", $i, "x" x ($i % 40)) } = [ $i, $i * 3, "v$i" ];
}
my $total = 0;
$total += length($_) for keys %h;
my @sorted = sort { $a->[0] <=> $b->[0] || $a->[1] cmp $b->[1] }
  map { [ ($_ * 7919) % 100003, "s$_" ] } 0 .. 249999;
my $corpus = join " ", map { "word" . ($_ % 97) . "-$_" } 0 .. 149999;
my $matches = () = $corpus =~ /(\w+)-(\d+)/g;
my $grown = "";
$grown .= join(",", map { $_ * $_ } 0 .. 20) for 0 .. 30000;
my @fields = split /,/, $grown;
delete $h{$_} for grep { /5-/ } keys %h;
printf "perl-workload total=%d first=%s matches=%d fields=%d left=%d\n",
  $total, $sorted[0][1], $matches, scalar(@fields), scalar(keys %h);
