#include "base/intrusive_fifo.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace barrage;

namespace {

struct item {
  int id = 0;
  fifo_links<item> in_all, in_some;
};
using all_list = intrusive_fifo<item, &item::in_all>;
using some_list = intrusive_fifo<item, &item::in_some>;

template <class List>
std::vector<int> ids(const List& l) {
  std::vector<int> out;
  for (item* i = l.front(); i; i = List::next(*i)) out.push_back(i->id);
  return out;
}

}  // namespace

TEST(intrusive_fifo, elements_come_out_in_the_order_they_went_in) {
  item a{1}, b{2}, c{3};
  all_list l;
  EXPECT_TRUE(l.empty());
  l.push_back(a);
  l.push_back(b);
  l.push_back(c);
  EXPECT_EQ(ids(l), (std::vector<int>{1, 2, 3}));
}

TEST(intrusive_fifo, removing_the_head_the_middle_or_the_tail_keeps_the_rest_in_order) {
  item a{1}, b{2}, c{3}, d{4};
  all_list l;
  for (item* i : {&a, &b, &c, &d}) l.push_back(*i);
  l.remove(b);
  EXPECT_EQ(ids(l), (std::vector<int>{1, 3, 4}));
  l.remove(a);
  EXPECT_EQ(ids(l), (std::vector<int>{3, 4}));
  l.remove(d);
  EXPECT_EQ(ids(l), (std::vector<int>{3}));
  l.push_back(a);
  EXPECT_EQ(ids(l), (std::vector<int>{3, 1}));
}

TEST(intrusive_fifo, removing_an_element_that_is_not_linked_is_a_no_op) {
  item a{1}, b{2};
  all_list l;
  l.push_back(a);
  l.remove(b);
  l.remove(a);
  l.remove(a);
  EXPECT_TRUE(l.empty());
  EXPECT_FALSE(all_list::contains(a));
}

TEST(intrusive_fifo, one_element_sits_in_two_lists_through_different_links) {
  item a{1}, b{2}, c{3};
  all_list all;
  some_list some;
  for (item* i : {&a, &b, &c}) all.push_back(*i);
  some.push_back(c);
  some.push_back(a);
  all.remove(a);
  EXPECT_EQ(ids(all), (std::vector<int>{2, 3}));
  EXPECT_EQ(ids(some), (std::vector<int>{3, 1}));
  EXPECT_TRUE(some_list::contains(a));
}
